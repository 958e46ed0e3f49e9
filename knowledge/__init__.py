"""FAQ knowledge base: entries, revisions, encoder-backed search."""
