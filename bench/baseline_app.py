"""The benchmark's baseline: the smallest Flask app, one route, a short constant.

It runs under the same gunicorn settings as the site, so its requests per second are
what this machine can do with Flask and gunicorn before the site does any work.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def constant() -> str:
    return "ok"
