"""Document the error answers every endpoint can give (drf-spectacular postprocessing hook)."""

ERROR = {
    "description": "",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "`detail`, or one list of messages per field.",
                "additionalProperties": True,
            }
        }
    },
}
ANSWERS = {
    "400": "Invalid input: each field with its problem (nothing was changed).",
    "401": "Not logged in.",
    "403": "Logged in, but this role may not do it.",
    "404": "Not found, or not in your centres.",
    "405": "Method not allowed here.",
    "409": "The record changed since the version sent in If-Match.",
    "415": "The body's Content-Type is not one this operation reads (see its request body).",
}


def add_error_responses(result, generator, request, public):
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            codes = ["400", "401", "403", "404", "405"]
            if method in ("put", "patch"):
                codes.append("409")
            if "requestBody" in operation:
                codes.append("415")
            for code in codes:
                operation.setdefault("responses", {}).setdefault(
                    code, {**ERROR, "description": ANSWERS[code]}
                )
    return result
