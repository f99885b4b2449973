"""The lowest layer: errors, settings, shared helpers and the data model every layer uses.

Nothing here imports another priorgraph layer (a test, ``tests/test_layers.py``, checks it).
"""
