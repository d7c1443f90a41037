export { loadSchemaSet, buildSchemaSet, readAvroSources, SchemaSetError, AVRO_DIR, SCHEMAS_ROOT } from './avro-schema-set.ts';
export type { SchemaSet, EventSchema, NamedTypeDefinition, AvroSource } from './avro-schema-set.ts';
export {
  AVRO_PRIMITIVES,
  fullNameOf,
  fullNameOfDefinition,
  isNamedType,
  isPrimitiveName,
  isRecord,
  namespaceOfFullName,
  shortNameOf,
} from './avro-types.ts';
export type {
  AvroType,
  AvroComplexType,
  AvroNamedType,
  AvroRecord,
  AvroEnum,
  AvroFixed,
  AvroArray,
  AvroMap,
  AvroField,
  AvroAnnotatedPrimitive,
  AvroPrimitive,
} from './avro-types.ts';
export { loadCatalogue, parseCatalogue, initiativesById, CatalogueError, CATALOGUE_FILE } from './catalogue.ts';
export type { Catalogue, Strategy, Pillar, Initiative, LeadMinistry } from './catalogue.ts';
export { scanForPersonalData, personalDataTermsIn, wordsOf, PERSONAL_DATA_TERMS } from './privacy-scan.ts';
export type { PersonalDataFinding } from './privacy-scan.ts';
export { generateTypes, compareGenerated, readGenerated, writeGenerated, isFresh, GENERATED_DIR } from './type-generator.ts';
export type { StaleReport } from './type-generator.ts';
