__version__ = "0.0.1"

from . import hub  # gives SmolLM its from_pretrained and save_pretrained (the model imports no file format)
