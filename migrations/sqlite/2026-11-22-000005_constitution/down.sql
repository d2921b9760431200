DROP TABLE constitution_settings;
