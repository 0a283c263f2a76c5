"""Writes of the analytics app: saved endpoint definitions."""

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from .endpoints import EndpointDefinition, InvalidDefinition
from .models import SavedEndpoint

NAME_TAKEN = "A saved endpoint already has this name (or one that reads the same in a URL)."
NAME_WITHOUT_LETTERS = "A name needs at least one letter or digit."


def saved_endpoint_create(*, user, name: str, definition: EndpointDefinition) -> SavedEndpoint:
    """Save a checked definition under a name; InvalidDefinition({"name": ...}) if taken."""
    name = name.strip()
    slug = slugify(name)[:100]
    if not slug:
        raise InvalidDefinition({"name": [NAME_WITHOUT_LETTERS]})
    if SavedEndpoint.objects.filter(slug=slug).exists():
        raise InvalidDefinition({"name": [NAME_TAKEN]})
    try:
        with transaction.atomic():
            return SavedEndpoint.objects.create(
                name=name, slug=slug, defined_by=user, **definition.as_dict()
            )
    except IntegrityError:  # saved by someone else since the check
        raise InvalidDefinition({"name": [NAME_TAKEN]}) from None
