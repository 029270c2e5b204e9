"""The page handlers, one module per group of tasks; each module's ``PAGES`` lists its routes."""
