"""voc: voice-of-customer toolkit for Chinese bank contact centres."""

__version__ = "0.1.0"
