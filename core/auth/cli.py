import click


@click.group()
def users() -> None:
    """PLACEHOLDER"""
