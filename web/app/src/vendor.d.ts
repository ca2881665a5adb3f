// unicode-confusables ships its declarations as `index.ts.d`, which TypeScript does not find.
declare module 'unicode-confusables' {
  export interface ConfusablePoint {
    point: string;
    similarTo?: string;
  }
  export function isConfusing(input: string): boolean;
  export function confusables(input: string): ConfusablePoint[];
  export function rectifyConfusion(input: string): string;
}

// Vite bundles imported CSS into the page's stylesheet.
declare module '*.css';
