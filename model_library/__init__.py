"""The model library behind ``sunvai models``: pull, import, list and verify the models sunvai serves.

A model lives in ``<model cache>/library/NAME`` beside its manifest (asr/model_manifest.py); the
model store resolves a configured ``source`` (the name, or the Hugging Face id it came from) there.
"""
