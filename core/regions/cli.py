import click


@click.group()
def regions() -> None:
    """PLACEHOLDER"""
