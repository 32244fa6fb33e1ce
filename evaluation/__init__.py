"""``sunvai eval``: word and character error rates of a NeMo/Vistaar manifest, per language."""
