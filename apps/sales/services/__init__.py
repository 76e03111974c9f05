"""Sales' writes: what staff do to a sale (staff.py) and what orders take from it (claims.py)."""
