// The package ships types its "exports" map does not point at (0.5.x, the
// version @testing-library uses); the one function the tests use, typed.
declare module "dom-accessibility-api" {
  export function computeAccessibleName(el: Element): string;
}
