"""The clause sources and templates (data only). Installed from the wheel as the package
`vipcontract_templates` and found through renderers/locations.py."""
