"""The homebuilder's records (organisation, projects, units, owners, requests) and the services BPMN calls."""
