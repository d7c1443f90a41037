/** Attribute names of the adapter's spans, in one place. Values are codes and counts, never record content. */
export const ATTR_PASSERELLE_MINISTRY = 'passerelle.ministry';
export const ATTR_PASSERELLE_ROUTE = 'passerelle.adapter.route';
export const ATTR_PASSERELLE_RECORDS = 'passerelle.adapter.records';
export const ATTR_PASSERELLE_EVENTS = 'passerelle.adapter.events';
export const ATTR_PASSERELLE_REPLAYED = 'passerelle.adapter.replayed';
