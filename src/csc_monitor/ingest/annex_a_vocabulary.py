"""What Ofsted Annex A lists look like in the wild: list names, header variants and coded-value synonyms.

Data, not code: a header or value seen in an authority's workbook that the monitor does not yet know is
reported by the parser (sheet, column, row); accepting it is one more string here. Headers and values
are compared after `normalise` (case, spacing and punctuation ignored), so only real variants need listing.
Field kinds: text, date, int, the coded vocabularies in VALUES (sex, yes_no, in_touch, ...), and the CIN census
code lists in CENSUS_CODES, whose values Ofsted's template writes with a letter and a label ("a) WBRI",
"j) 3D: Health services"): they are kept as the bare code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .ssda903 import LEGAL_STATUS


def normalise(text: str) -> str:
    """'Child's Unique ID ' and 'CHILD UNIQUE-ID?' both become 'childs unique id'."""
    text = str(text).lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass(frozen=True)
class Field:
    name: str
    headers: tuple[str, ...]
    kind: str = "text"  # text | date | int | a key of VALUES
    required: bool = False


@dataclass(frozen=True)
class ListSpec:
    number: int
    title: str
    sheet_names: tuple[str, ...]  # besides "List <n>": names a sheet may carry instead
    fields: tuple[Field, ...]

    @property
    def required(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)


CHILD_ID = Field("child_id", ("Child Unique ID", "Child ID", "Unique ID", "Child Unique Identifier", "Child Reference",
                              "Child Ref", "LA Child ID", "LAchildID", "Person ID", "Client ID", "CHILD"), required=True)
COMMON = (
    CHILD_ID,
    Field("sex", ("Gender", "Sex", "Gender / Sex", "Legal Sex", "Gender Current"), "sex"),
    Field("ethnicity", ("Ethnicity", "Ethnic Origin", "Ethnic Group", "Ethnicity Code"), "ethnicity"),
    Field("birth_date", ("Date of Birth", "DOB", "Birth Date", "Date of Birth (or expected date of birth)",
                         "Date of birth / expected date of birth"), "date"),
    Field("age", ("Age of Child (Years)", "Age", "Age (Years)", "Age in Years", "Age of Child")),
    Field("disability", ("Disability", "Disabled", "Disability Status", "Does the child have a disability?",
                         "Does the Child have a Disability", "Disability (Y/N)")),
    Field("uasc", ("UASC", "Unaccompanied Asylum Seeking Child", "Is the child an unaccompanied asylum seeking child (UASC)?",
                   "Is the child an Unaccompanied Asylum Seeking Child", "UASC Status", "UASC (Y/N)")),
)
ALLOCATION = (
    Field("allocated_team", ("Allocated Team", "Team", "Team Name", "Allocated Team Name", "Current Team")),
    Field("allocated_worker", ("Allocated Worker", "Worker", "Social Worker", "Allocated Social Worker",
                               "Allocated Worker Name", "Key Worker", "Current Worker")),
)
NOT_STORED = "age", "disability", "uasc"  # read (so not reported as unknown) but not kept in the warehouse

LISTS: dict[int, ListSpec] = {spec.number: spec for spec in (
    ListSpec(1, "Contacts", ("contacts",), COMMON + (
        Field("contact_date", ("Date of Contact", "Contact Date"), "date"),
        Field("contact_source", ("Contact Source", "Source of Contact")),
    )),
    ListSpec(2, "Early help", ("early help",), COMMON + (
        Field("eh_start", ("Assessment start date", "Early Help Assessment Start Date"), "date"),
        Field("eh_completed", ("Assessment completion date", "Early Help Assessment Completion Date"), "date"),
        Field("eh_organisation", ("Organisation completing assessment", "Organisation")),
    )),
    ListSpec(3, "Referrals", ("referrals",), COMMON + (
        Field("referral_date", ("Date of referral", "Referral Date", "Date Referral Received", "Referral Start Date"), "date", True),
        Field("referral_source", ("Referral Source", "Source of Referral"), "referral_source"),
        Field("referral_nfa", ("Referral NFA?", "Referral NFA", "NFA", "Referral No Further Action", "Was the referral NFA"), "yes_no"),
        Field("referrals_12_months", ("Number of Referrals in Last 12 Months", "Number of previous referrals in last 12 months",
                                      "Referrals in last 12 months"), "int"),
    ) + ALLOCATION),
    ListSpec(4, "Assessments", ("assessments",), COMMON + (
        Field("assessment_start", ("Continuous Assessment Start Date", "Assessment Start Date", "Date assessment started",
                                   "C&F Assessment Start Date", "Single Assessment Start Date"), "date", True),
        Field("child_seen", ("Child Seen During Continuous Assessment", "Child Seen During Assessment", "Was the child seen",
                             "Child Seen", "Seen during assessment"), "yes_no"),
        Field("assessment_authorised", ("Continuous Assessment Date of Authorisation", "Assessment Authorisation Date",
                                        "Date of Authorisation", "Assessment Completion Date", "Date assessment authorised"), "date"),
        Field("requires_support", ("Was the child assessed as requiring LA children's social care support?",
                                   "Assessed as requiring support", "Requires LA support"), "yes_no"),
    ) + ALLOCATION),
    ListSpec(5, "Section 47 enquiries and ICPCs", ("section 47", "s47", "s47 and icpc", "section 47 and icpc"), COMMON + (
        Field("strategy_discussion_date", ("Strategy discussion initiating Section 47 Enquiry Start Date", "S47 Start Date",
                                           "Section 47 Enquiry Start Date", "Strategy Discussion Date",
                                           "Date of strategy discussion initiating S47", "S47 Enquiry Start Date"), "date", True),
        Field("icpc_not_required", ("Was an Initial Child Protection Conference deemed unnecessary?", "ICPC not required",
                                    "ICPC deemed unnecessary", "ICPC Not Required?"), "yes_no"),
        Field("icpc_date", ("Date of Initial Child Protection Conference", "ICPC Date", "Initial Child Protection Conference Date",
                            "Date of ICPC"), "date"),
        Field("icpc_led_to_plan", ("Did the Initial Child Protection Conference Result in a Child Protection Plan",
                                   "ICPC resulted in CP Plan", "Did the ICPC result in a plan"), "yes_no"),
        Field("s47_12_months", ("Number of Section 47 Enquiries in the last 12 months", "S47s in last 12 months"), "int"),
        Field("icpc_12_months", ("Number of ICPCs in the last 12 months", "ICPCs in last 12 months"), "int"),
    ) + ALLOCATION),
    ListSpec(6, "Children in need", ("children in need", "cin"), COMMON + (
        Field("cin_start", ("CIN Start Date", "Child in Need Start Date", "Date CIN started", "CIN Referral Date"), "date", True),
        Field("primary_need", ("Primary Need Code", "Primary Need", "Category of Need", "Primary Need Category"), "primary_need"),
        Field("last_seen", ("Date Child Was Last Seen", "Date Last Seen", "Last Seen Date", "Date of last visit"), "date"),
        Field("cin_closure", ("CIN Closure Date", "Closure Date", "Date CIN Closed", "Case Closure Date"), "date"),
        Field("closure_reason", ("Reason for Closure", "Closure Reason", "CIN Closure Reason"), "closure_reason"),
        Field("case_status", ("Case Status", "Status")),
    ) + ALLOCATION),
    ListSpec(7, "Child protection", ("child protection", "cp", "child protection plans"), COMMON + (
        Field("plan_start", ("Child Protection Plan Start Date", "CP Plan Start Date", "Plan Start Date", "CPP Start Date"), "date", True),
        Field("initial_category", ("Initial Category of Abuse", "Category of Abuse (Initial)", "Initial Category"), "category"),
        Field("latest_category", ("Latest Category of Abuse", "Category of Abuse (Latest)", "Latest Category", "Category of Abuse"),
              "category"),
        Field("last_statutory_visit", ("Date of the Last Statutory Visit", "Date of Last Statutory Visit", "Last Statutory Visit",
                                       "Last CP Visit Date", "Date of last visit"), "date"),
        Field("seen_alone", ("Was the Child Seen Alone?", "Child Seen Alone", "Seen Alone", "Seen alone at last visit"), "yes_no"),
        Field("latest_review_conference", ("Date of latest review conference", "Latest Review Conference Date",
                                           "Date of Last Review Conference", "Last RCPC Date", "Latest RCPC"), "date"),
        Field("plan_end", ("Child Protection Plan End Date", "CP Plan End Date", "Plan End Date", "CPP End Date"), "date"),
        Field("previous_plans", ("Number of Previous Child Protection Plans", "Previous CP Plans", "Number of previous CPPs"), "int"),
    ) + ALLOCATION),
    ListSpec(8, "Children in care", ("children in care", "looked after children", "cla", "children looked after"), COMMON + (
        Field("date_started_looked_after", ("Date Started to be Looked After", "Date Became Looked After", "Date Entered Care",
                                            "Start Date of Current Period of Care", "CLA Start Date"), "date", True),
        Field("legal_status", ("Child's Legal Status", "Legal Status", "Current Legal Status"), "legal_status"),
        Field("latest_statutory_review", ("Date of Latest Statutory Review", "Latest Statutory Review Date",
                                          "Date of Last Statutory Review", "Last CLA Review Date", "Latest LAC Review"), "date"),
        Field("last_social_work_visit", ("Date of Last Social Work Visit", "Last Social Work Visit", "Last Statutory Visit",
                                         "Date of last visit", "Last CLA Visit Date"), "date"),
        Field("last_iro_contact", ("Date of Last IRO Visit / Contact", "Date of Last IRO Visit / Contact to the Child",
                                   "Date of Last IRO Visit", "Date of Last IRO Contact",
                                   "Last IRO Contact", "Last IRO Visit/Contact Date"), "date"),
        Field("last_health_assessment", ("Date of Last Health Assessment", "Last Health Assessment", "Latest Health Assessment Date"), "date"),
        Field("last_dental_check", ("Date of Last Dental Check", "Last Dental Check", "Latest Dental Check Date"), "date"),
        Field("placements_last_12_months", ("Number of Placements in the Last 12 months", "Placements in last 12 months",
                                            "Number of Placements (12 months)"), "int"),
        Field("date_ceased_looked_after", ("Date Ceased to be Looked After", "Date Ceased Looked After", "Date Left Care",
                                           "CLA End Date"), "date"),
        Field("start_most_recent_placement", ("Start Date of Most Recent Placement", "Most Recent Placement Start Date",
                                              "Current Placement Start Date", "Placement Start Date"), "date"),
        Field("placement_type", ("Placement Type", "Placement", "Current Placement Type", "Placement Code"), "placement_type"),
        Field("missing_12_months", ("Number of Episodes Missing / Absent in the last 12 months",
                                    "Number of missing episodes in last 12 months", "Missing episodes (12 months)"), "int"),
        Field("return_interview", ("Return Interview offered / accepted (Y/N)", "Return Interview Offered", "Return Interview",
                                   "Was the child offered a Return Interview after each missing episode?",
                                   "Was the child offered a Return Interview after each missing or absent episode?",
                                   "Was the child offered a Return Interview"), "yes_no"),
        Field("return_interview_accepted", ("Did the child accept the Return Interview after each missing episode?",
                                            "Did the child accept the Return Interview", "Return Interview Accepted"), "yes_no"),
    ) + ALLOCATION),
    ListSpec(9, "Care leavers", ("care leavers", "leaving care"), COMMON + (
        Field("personal_adviser", ("Allocated Personal Advisor", "Allocated Personal Adviser", "Personal Adviser", "Personal Advisor", "PA")),
        Field("eligibility", ("Eligibility Category", "Eligibility", "Care Leaver Category")),
        Field("latest_pathway_plan_review", ("Latest Pathway Plan Review Date", "Date of Latest Pathway Plan Review",
                                             "Pathway Plan Review Date", "Last Pathway Plan Review"), "date"),
        Field("in_touch", ("LA in Touch", "In Touch", "Is the LA in touch", "In Touch with LA", "Local Authority in Touch"), "in_touch"),
        Field("latest_contact", ("Latest Date of Contact", "Date of Latest Contact", "Last Contact Date", "Latest Contact"), "date"),
        Field("accommodation", ("Type of Accommodation", "Accommodation", "Accommodation Type")),
        Field("suitability", ("Suitability of Accommodation", "Accommodation Suitable?", "Suitability", "Is accommodation suitable"),
              "suitability"),
        Field("activity", ("Activity Status", "Activity", "Main Activity", "EET Status")),
    ) + ALLOCATION),
    ListSpec(10, "Adoption", ("adoption", "adoptions", "children adopted"), COMMON + (
        Field("entered_care", ("Date the Child Entered Care", "Date Entered Care", "Date Child Entered Care", "Date became looked after"), "date"),
        Field("decision_date", ("Date of Decision that Child Should be Placed for Adoption", "Date of ADM Decision",
                                "Date of Best Interest Decision", "SHOBPA Decision Date", "Date of Decision to Place for Adoption"), "date"),
        Field("placement_order_date", ("Date of Placement Order", "Placement Order Date", "Placement Order Granted"), "date"),
        Field("match_date", ("Date of Matching Child and Prospective Adopters", "Date Matched", "Matching Date", "Date of Match"), "date"),
        Field("placed_date", ("Date Placed for Adoption", "Placed for Adoption Date", "Date of Placement for Adoption"), "date"),
        Field("adoption_order_date", ("Date of Adoption Order", "Adoption Order Date", "Adoption Order Granted"), "date"),
        Field("decision_reversed_date", ("Date of Decision that Child Should No Longer be Placed for Adoption",
                                         "Date Decision Reversed", "Date adoption plan changed", "Decision Reversed Date"), "date"),
    ) + ALLOCATION),
    ListSpec(11, "Adopters", ("adopters", "prospective adopters"), (
        Field("adopter_id", ("Adopter Unique ID", "Adopter ID", "Individual adopter identifier", "Unique ID"), required=True),
    )),
)}
STORED_LISTS = (3, 4, 5, 6, 7, 8, 9, 10)  # every Annex A must carry these; lists 1, 2 and 11 are read and reported, not stored

# Coded values: canonical value -> the spellings accepted for it (compared after `normalise`).
VALUES: dict[str, dict[object, tuple[str, ...]]] = {
    "sex": {
        "M": ("M", "Male", "Boy", "1"),  # 1/2/0/9: the CIN census GenderCurrent codes
        "F": ("F", "Female", "Girl", "2"),
        "U": ("U", "Unknown", "Not known", "Indeterminate", "Unknown / Indeterminate", "Not stated", "Not recorded", "Not stated/recorded",
              "Unborn", "0", "9"),
    },
    "yes_no": {
        True: ("Y", "Yes", "True", "1"),
        False: ("N", "No", "False", "0"),
    },
    "in_touch": {  # the 903 OC3 IN_TOUCH codes
        "YES": ("YES", "Y", "In touch", "Yes in touch", "LA in touch"),
        "NO": ("NO", "N", "Not in touch", "No not in touch"),
        "DIED": ("DIED", "Died", "Deceased", "Young person has died"),
        "REFU": ("REFU", "Refuses contact", "Refused contact", "Young person refuses contact", "Refuses"),
        "NREQ": ("NREQ", "No longer requires services", "No longer requires", "Does not require services"),
        "RHOM": ("RHOM", "Returned home", "Returned home 6 months+", "Returned home for 6 months or more",
                 "Returned to live with parents"),
    },
    "suitability": {
        "SUITABLE": ("Suitable", "Y", "Yes", "1"),
        "UNSUITABLE": ("Unsuitable", "Not suitable", "N", "No", "2"),
        "NOT KNOWN": ("Not known", "Unknown"),
    },
    "legal_status": {code: (code,) for code in sorted(LEGAL_STATUS)},
    "placement_type": {code: (code,) for code in (
        "A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1",
        "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1")},
}
# Columns holding a CIN census code (kind -> the census XSD's simple type): reduced to the code, else kept as written
CENSUS_CODES = {"ethnicity": "ethnicitytype", "referral_source": "referralsourcetype", "primary_need": "primaryneedcodetype",
                "category": "categoryofabusetype", "closure_reason": "reasonforclosuretype"}
BLANK = frozenset({"", "n a", "na", "none", "null", "not applicable"})  # after normalise: read as an empty cell

# Dates written as text: the forms authorities use (Excel date cells need none of these).
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y",
                "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")
