import type { Router } from 'express';
import { defineAdapter } from '@passerelle/adapter';

/**
 * The coordination office leads most initiatives of pillars 1, 3 and 4 itself. Its milestones
 * enter through the same machinery as a ministry's (own credential, own pseudonym key, own
 * outbox) and go to coordination-office.initiative-milestones.v1. It has no referrals or gaps
 * of its own, so only POST /initiative-milestones is mounted.
 */
const adapter = defineAdapter('COORDINATION_OFFICE', {
  serviceGaps: false,
  milestones: true,
  contracts: [],
  fixtures: new URL('../fixtures/', import.meta.url),
  routes: (_router: Router) => undefined,
});

export const coordinationOfficeAdapter = adapter.definition;
export const { definition, loadConfig, start } = adapter;
