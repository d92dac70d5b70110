"""One ComponentResource per tier; each takes a typed args dataclass and exposes its children."""
