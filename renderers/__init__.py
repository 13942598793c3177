"""Renderers: turn a resolved `contracts.document.Document` into DOCX and PDF files."""
