"""The one error every parser raises: it names the file, the place in it and the rule broken.

Its text reaches task logs, the console and Slack, so a value from the file appears in it only through
`quoted`: a short code as it is, a date or number by its shape, anything else not at all.
"""

import re

CODE = re.compile(r"[A-Za-z0-9]{1,4}")          # CIN and SSDA903 codes: 1A, N1, RC1, U4, M, HOME
DATE_OR_NUMBER = re.compile(r"[0-9][0-9/.:\- T]*")  # digits and date separators only
SHAPE_LIMIT = 80
# lxml's XSD messages quote the offending value in these two places; names of elements and types stay
XSD_VALUES = (re.compile(r"(The value )'([^']*)'"), re.compile(r"(^Element '[^']*': )'([^']*)'(?= is not a valid value)"))


def quoted(value: object) -> str:
    """A value from a file as a message may show it: '1A' (a code), '99/99/9999' (the shape of a date or number,
    at most 80 characters), else '(not quoted)': a name or an identifier never leaves the file."""
    text = str(value)
    if CODE.fullmatch(text):
        return f"'{text}'"
    if DATE_OR_NUMBER.fullmatch(text) and len(text) <= SHAPE_LIMIT:
        return f"'{re.sub(r'[0-9]', '9', text)}'"
    return "(not quoted)"


def without_values(xsd_message: str) -> str:
    """An lxml schema message with the file's value replaced as `quoted` would show it."""
    for pattern in XSD_VALUES:
        xsd_message = pattern.sub(lambda found: found.group(1) + quoted(found.group(2)), xsd_message)
    return xsd_message


class ExportError(Exception):
    def __init__(self, file_name: str, location: str, problem: str):
        self.file_name, self.location, self.problem = file_name, location, problem
        super().__init__(f"{file_name}: {location}: {problem}")
