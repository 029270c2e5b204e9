"""Regional variants of Yishi, one package each, registered on the ``yishi.plugins`` entry point."""
