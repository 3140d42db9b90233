"""Policy tests (`regulens test`): `kind: PolicyTest` documents and how they are judged."""
