from laneway.cli import app

app(prog_name="laneway")
