import click


@click.group()
def tenants() -> None:
    """PLACEHOLDER"""
