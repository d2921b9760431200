DROP TABLE impact_assessments;
