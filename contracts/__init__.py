"""Domain of the VIP service agreement: model, rules and checks, without I/O."""
