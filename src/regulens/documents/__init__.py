"""Strict loading of user documents (policies, exceptions, change requests) with locations."""

from regulens.documents.strict_yaml import Document, load_documents, load_text
from regulens.documents.validate import validate_document

__all__ = ["Document", "load_documents", "load_text", "validate_document"]
