"""`python -m videolabels` is the same as the `videolabels` command."""

from .cli import app

app(prog_name="videolabels")
