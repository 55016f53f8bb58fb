import type { ReviewContext } from '../context.ts'
import type { ReviewSection } from '../model.ts'

/** the portfolio section until sections/portfolio.ts lands: refused, with no figures */
export async function portfolioPlaceholder(_ctx: ReviewContext): Promise<ReviewSection> {
  return {
    key: 'portfolio',
    question: 'Which portfolio bet is consuming attention without enough strategic return?',
    title: 'Portfolio',
    coverage: [],
    refused: 'no portfolio configured',
    tables: [],
    notes: [],
  }
}
