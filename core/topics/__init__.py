"""Topics (议题): submission, screening against the catalogue, and the
procedure's actions, with a history entry for each."""
