"""The one error every parser raises: it names the file, the place in it and the rule broken."""


class ExportError(Exception):
    def __init__(self, file_name: str, location: str, problem: str):
        self.file_name, self.location, self.problem = file_name, location, problem
        super().__init__(f"{file_name}: {location}: {problem}")
