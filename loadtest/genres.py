"""The long texts of the documents mix (loadtest/documents.py): product, hotel and
restaurant reviews, support emails and posts, each as an opener, body sentences by
valence (pos, neg, neu) and closers by valence. ``{slot}``s as in loadtest/phrases.py.
"""

from __future__ import annotations

# Reviews, support emails and posts: an opener, body sentences by valence, a closer.
GENRES: dict[str, dict[str, list[str]]] = {
    "product": {
        "open": [
            "Bought the {product} {ago} after weeks of comparing reviews",
            "I've had this {product} for {days} now, so here is an honest review",
            "Ordered the {product} from {shop} as a gift for {name}",
        ],
        "pos": [
            "Setup took about ten minutes and the instructions were actually clear",
            "It feels solid, the buttons click nicely and nothing rattles",
            "Battery life is better than advertised, easily two full days",
            "Customer service answered my question within an hour, which I did not expect",
            "For {price} it is honestly the best thing I have bought this year",
            "It is quiet enough that I can use it while the baby sleeps",
        ],
        "neg": [
            "It stopped working after {days} and the light just blinks red",
            "The plastic feels cheap and one of the clips snapped on day two",
            "Support sent me the same copy-pasted answer three times",
            "The app wants an account, a phone number and my location just to turn it on",
            "At {price} I expected a lot better than this",
            "The box arrived crushed and one of the parts was missing",
        ],
        "neu": [
            "Delivery took {days}, which is about what the site said",
            "It comes in black, white and a sort of sage green",
            "The cable is about a metre long, so plan where it goes",
            "I mostly use it in the mornings, a few minutes at a time",
        ],
        "close_pos": ["Five stars, would buy again", "Highly recommend it to anyone on the fence"],
        "close_neg": ["One star, and only because zero is not an option", "Returning it tomorrow"],
        "close_neu": ["Three stars, it does the job", "Fine for the price, nothing more"],
    },
    "hotel": {
        "open": [
            "We stayed at {hotel} in {city} for {nights} nights in {month}",
            "Just back from a long weekend at {hotel} in {city}",
            "Booked {hotel} for our anniversary trip to {city}",
        ],
        "pos": [
            "The room was small but spotless, and the bed was incredibly comfortable",
            "Staff remembered our names from the first evening and nothing was too much trouble",
            "Breakfast had fresh pastries, good coffee and a view of the harbour",
            "When our daughter got sick, the night manager drove to the pharmacy himself",
            "The location is perfect, ten minutes' walk from the old town",
            "They let us check in early after an overnight flight, which was a lifesaver",
        ],
        "neg": [
            "The room smelled of smoke and the window would not open",
            "We waited forty minutes at reception while two staff members chatted",
            "The shower was lukewarm at best and the drain was blocked",
            "Someone's music kept us awake until 2am and nobody came when we called",
            "The photos online must be ten years old, the carpet was stained and worn",
            "We were charged for a minibar we never opened",
        ],
        "neu": [
            "Parking costs extra and has to be booked in advance",
            "The hotel is on a busy street, so ask for a room at the back",
            "Check-in is at 3pm and check-out at 11am",
            "There is a small gym on the ground floor and a laundry service",
        ],
        "close_pos": ["We would come back without a second thought", "Thank you to everyone there"],
        "close_neg": ["Never again", "Avoid, there are better places on the same street"],
        "close_neu": ["Fine for a night or two", "Decent value if you get a deal"],
    },
    "restaurant": {
        "open": [
            "Went to {restaurant} on {day} night with {name} and a few friends",
            "Finally tried {restaurant} after walking past it for months",
            "Booked {restaurant} in {city} for my mum's birthday",
        ],
        "pos": [
            "The {food} was the best I've had in years",
            "Our waiter, {name}, was funny, patient and knew the whole wine list",
            "Portions are generous and the bread comes warm from the oven",
            "They made a gluten-free version of the {food} without any fuss",
            "Dessert was a {food} that I am still thinking about",
        ],
        "neg": [
            "We waited over an hour for mains and the {food} arrived cold",
            "There was a hair in the {food} and the manager just shrugged",
            "The table was sticky and the menus smelled like old grease",
            "They added a service charge and then asked for a tip on top",
            "The music was so loud we had to shout across the table",
        ],
        "neu": [
            "It's a small place, so book ahead on weekends",
            "Mains are around {price} and there are a few vegetarian options",
            "We had the set menu, which changes every {day}",
        ],
        "close_pos": ["Already planning our next visit", "Go, and order the {food}"],
        "close_neg": ["Won't be going back", "Save your money and your evening"],
        "close_neu": ["Worth a try if you're nearby", "Solid, if not special"],
    },
    "email": {
        "open": ["Hello {company} support", "Dear {company} team", "Hi there", "To whom it may concern"],
        "pos": [
            "I just wanted to say thank you for sorting out order {order} so quickly",
            "Your colleague {name} was incredibly helpful on the phone yesterday",
            "The replacement arrived this morning and works perfectly",
        ],
        "neg": [
            "I have now contacted you four times about the duplicate charge on my account",
            "Each time I am told it will be refunded within five working days, and each time nothing happens",
            "Order {order} was marked as delivered on {day}, but nothing arrived",
            "If this is not resolved by {day} I will file a complaint with my bank",
            "Your chatbot keeps closing the conversation before anyone answers",
        ],
        "neu": [
            "My account is registered under the name {name} {last}",
            "I have attached the receipt and two photos of the damage",
            "Could you let me know what the next step is?",
            "I am available on weekdays after 5pm",
            "The reference on my statement is {order}",
        ],
        "close_pos": ["Many thanks, {name}", "Best wishes, {name}"],
        "close_neg": ["Regards, {name} {last}", "I expect a reply this week. {name} {last}"],
        "close_neu": ["Kind regards, {name}", "Thanks in advance, {name}"],
    },
    "post": {
        "open": [
            "Long post, sorry, but I need to get this off my chest",
            "Update for everyone who asked about the move to {city}",
            "Okay, story time",
            "Not sure where else to post this",
        ],
        "pos": [
            "The new neighbours brought over a cake and stayed for an hour",
            "My manager called me in and told me the promotion is mine",
            "We found a flat with a balcony and it is only ten minutes from work",
            "The kids settled into the new school much faster than we feared",
        ],
        "neg": [
            "The removal company turned up six hours late and broke the mirror",
            "I got home to find the basement flooded again",
            "My partner and I have been arguing about money every single night",
            "Nobody at work even noticed that I had been gone for two weeks",
        ],
        "neu": [
            "For context, we have been renting in the same building for six years",
            "I work nights, so I usually sleep until about {hour}",
            "We moved in {month} and are still unpacking",
        ],
        "close_pos": ["Thanks for reading if you got this far", "Anyway, life is good"],
        "close_neg": ["Anyway, that's my week", "Any advice welcome"],
        "close_neu": ["Anyway, that's the update", "Will post again when I know more"],
    },
}
