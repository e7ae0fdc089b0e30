"""cUNet Studio desktop GUI (PySide6).

The engine does the work; this package only presents it and forwards the user's choices. Each
page has a folder (generate/, denoise/, train/) holding its widget, its view model (the page's
decisions and wording, plain Python) and its work functions, which run on pool threads as
`app.workers` jobs and report back through Qt signals, so the window never freezes. shell/ is
the window around the pages; README.md's "Where things live" maps the rest.
"""
