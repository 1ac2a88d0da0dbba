"""lettergen: formal Chinese business letters from structured data.

The stable Python API lives in :mod:`lettergen.api` and is re-exported here.
"""
from .api import (
    json_schema,
    kinds,
    load_data,
    render,
    render_letter,
    render_to_file,
    sample_text,
    schema,
    validate,
)
from .config import Config, load_config
from .rendering import Template, register_filter
from .errors import (
    CheckFailed,
    ConfigError,
    ConversionError,
    InputFileError,
    InvalidInput,
    LettergenError,
    OutputExists,
    RegisterError,
    TemplateError,
    UnknownKind,
)

__all__ = [
    "CheckFailed", "Config", "ConfigError", "ConversionError", "InputFileError", "InvalidInput",
    "LettergenError", "OutputExists", "RegisterError", "TemplateError", "UnknownKind", "json_schema", "kinds",
    "load_config", "load_data", "render", "render_letter", "render_to_file", "sample_text",
    "schema", "validate", "Template", "register_filter",
]
