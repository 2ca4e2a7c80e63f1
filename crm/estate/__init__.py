"""The homebuilder's records (楼盘档案): projects and their phases, buildings, units with their layouts,
owners and co-owners, purchase contracts with their history, contractors and their trades, and the people
who call about a unit without owning it — entered on pages, imported from files, found as a coordinator
hears them on the phone."""
