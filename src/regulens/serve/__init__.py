"""`regulens serve`: a read-only portal over the evidence store (Starlette on uvicorn).

Imported only by the `serve` command: `regulens --version` never loads Starlette.
"""
