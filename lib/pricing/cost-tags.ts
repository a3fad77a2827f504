/**
 * The cost-allocation tags: the stack puts them on every resource that takes tags, and the pricing
 * inventory reads the component from them, so both sides name the same key.
 */
export const COST_TAGS = { tier: 'evalforge:tier', component: 'evalforge:component' } as const;
