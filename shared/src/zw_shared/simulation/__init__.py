"""A realistic day of a district, sent through the public APIs of the deployed services.

``district`` plans the cells, facilities, waste flows, amendments and assessments of one
day; ``transfers`` plans the cross-province hazardous-waste applications and manifests;
``expected`` works out, from the plan alone, what the services must show afterwards
(totals per cell, manifest states, vetoed cells). ``runner`` sends the plan; ``cli`` is the
``zw-simulate-day`` console script. Everything but the runner is pure and seeded.
"""
