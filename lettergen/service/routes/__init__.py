"""One router per resource: kinds, letters, batches, system (health, register), the public check page."""
from . import batches, kinds, letters, system, verify_page

ROUTERS = [kinds.router, letters.router, batches.router, system.router, verify_page.router]
