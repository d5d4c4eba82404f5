"""linkedin: its connector (`connector`) and its text rules (`rules`)."""
