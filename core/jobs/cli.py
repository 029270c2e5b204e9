import click


@click.command()
def worker() -> None:
    """PLACEHOLDER"""


@click.command()
def scheduler() -> None:
    """PLACEHOLDER"""
