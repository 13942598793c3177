"""Application layer: files, profile, store and renderers around the pure domain."""
