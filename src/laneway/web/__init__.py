"""The web board: the single-page app built from web/ into dist/, served at the app's paths.

The build ships inside the package, so `pip install laneway` serves the board without Node.
"""
