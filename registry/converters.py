"""URL segments for registry IDs: only the characters an ID can have (no NUL, no slash)."""


class RegistryIdConverter:
    regex = "[A-Za-z0-9-]{1,40}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
