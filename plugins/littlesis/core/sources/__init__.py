"""SIS exports (generic, OneRoster, SDS) read into one canonical snapshot."""
