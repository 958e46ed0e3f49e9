"""deskbot application: settings, dialogue, sessions, transcripts, API, CLI."""
