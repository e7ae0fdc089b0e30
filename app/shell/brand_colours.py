"""The two colours of the app's gradient (icon and splash), top then bottom, kept in one place
so the icon script (no Qt) and the splash (Qt) cannot drift apart."""

GRADIENT_TOP = "#1f3b73"
GRADIENT_BOTTOM = "#5b2a86"
