"""The project's top: what wires the systems together on purpose (the URL map, the demo's commands).

It may import every app; no app imports it (tests/test_architecture.py).
"""
