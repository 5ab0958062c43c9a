"""captioner: video + ad script in, captioned video + sidecars + receipt out."""
__version__ = "0.1.0"
