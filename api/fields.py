"""Request fields (form parts, upgrade headers, query parameters) parsed by pydantic models.

A surface declares its fields as a model whose ``description`` says what each accepts, and
:func:`parse_fields` turns the first problem into a 400 ``invalid_<field>`` saying what was sent and
what is accepted (rendered in the surface's own error shape).
"""

from __future__ import annotations

from typing import Annotated, Mapping, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from sunvai.errors import BadRequest
from sunvai.redaction import KINDS, Redaction
from sunvai.service.transcription import OutputFormat

Model = TypeVar("Model", bound=BaseModel)

# Vachana's output format, case and spaces forgiven
Format = Annotated[OutputFormat, BeforeValidator(lambda value: str(value).strip().lower()),
                   Field(description="one of verbatim, transcribe")]
TrueFalse = Annotated[bool, Field(description="true or false")]


def parse_fields(model: type[Model], raw: Mapping[str, object]) -> Model:
    """``raw`` validated into ``model``; a blank value counts as absent (its default)."""
    try:
        return model.model_validate({name: value for name, value in raw.items() if value not in (None, "")})
    except ValidationError as exc:
        error = exc.errors()[0]
        sent = str(error["loc"][0])
        name, field = next((n, f) for n, f in model.model_fields.items() if sent in (n, f.alias))
        accepted = field.description or error["msg"]
        raise BadRequest(f"{sent} must be {accepted}, got {error['input']!r}", code=f"invalid_{name}") from None


class RedactionFields(BaseModel):
    """``redact``, ``redact_style`` and ``profanity_filter``, the same on every surface that takes fields."""

    redact: str | None = Field(None, description=f"pii or a comma list of {', '.join(KINDS)}")
    redact_style: str | None = Field(None, description="tag ([CARD]) or mask (the last four kept)")
    profanity_filter: TrueFalse = False  # listed profanity masked, the first letter kept

    def redaction(self) -> Redaction | None:
        return Redaction.parse(self.redact, self.redact_style)
